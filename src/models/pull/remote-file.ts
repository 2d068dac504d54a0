// One file a pull downloads: where from, with which headers, and what the source says it is.
export interface RemoteFile {
  /** The URL the bytes come from (the CDN after a hub redirect). */
  url: string;
  /** Headers for that URL: never the hub's Authorization when it is on another host. */
  headers: Record<string, string>;
  /** The file's path in its source (repo path, blob name); its name on disk keeps the basename. */
  name: string;
  /** The source revision (a git commit for the hub). */
  commit?: string;
  /** sha256 hex the source vouches for (LFS oid, OCI digest); absent when it gives none. */
  sha256?: string;
  size?: number;
}
