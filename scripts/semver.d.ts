// semver comes with Node-RED (a dev dependency) and ships no types; these are the calls the scripts make.
declare module 'semver' {
  interface SemVer {
    version: string;
    major: number;
  }
  export function minVersion(range: string): SemVer | null;
  export function satisfies(version: string | SemVer, range: string): boolean;
}
