// imagePullPolicy defaulting (core/v1 SetDefaults_Container): "latest" — written or implied by a
// missing tag — means Always; any other tag, or a digest without a tag, means IfNotPresent.

/** The tag of an image reference, "latest" when there is neither tag nor digest, "" when unparsable. */
export function imageTag(image: string): string {
  if (!image) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  const repo = hasTag ? name.slice(0, colon) : name;
  // Repository paths are lower case (a registry host may not be); kube ignores the parse error
  // and falls back to an empty tag, i.e. IfNotPresent.
  const firstSlash = repo.indexOf('/');
  const first = firstSlash >= 0 ? repo.slice(0, firstSlash) : '';
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const path = isHost ? repo.slice(firstSlash + 1) : repo;
  if (!path || /[A-Z]/.test(path) || /\s/.test(image)) return '';
  if (hasTag) return name.slice(colon + 1);
  return digest ? '' : 'latest';
}

export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  return imageTag(typeof image === 'string' ? image : '') === 'latest' ? 'Always' : 'IfNotPresent';
}
