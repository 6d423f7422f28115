import { main } from './main.js';

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`flotilla: ${(e as Error).message}\n`);
  process.exit(1);
});
