// Flat config. ESM file name because package.json has no "type": "module".
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import { defineConfig } from 'eslint/config';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { layerZones } from './scripts/layers.mjs';

const tsFiles = ['**/*.ts', '**/*.mts', '**/*.cts', '**/*.vue'];

// The handful of Node globals our plain .js/.mjs scripts use; TypeScript files get theirs from @types/node.
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'AbortController', 'TextEncoder', 'TextDecoder',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
    'queueMicrotask', 'structuredClone', 'fetch', '__dirname', '__filename', 'require', 'module', 'exports',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '.flotilla-test/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { ecmaVersion: 'latest', globals: nodeGlobals },
  },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: config.files ?? tsFiles })),
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  {
    files: tsFiles,
    rules: {
      // The type checker already knows every global; no-undef only misfires on types and DOM/Node names.
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Layers run one way (README "Layers", DESIGN.md): an import against the direction fails lint.
    files: ['src-main/**/*.ts', 'src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'tsconfig.renderer.json'], noWarnOnMultipleProjects: true })] },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones() }] },
  },
);
