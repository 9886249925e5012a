/**
 * File access for certificate and key loading: the only file I/O of the
 * library, kept in the transport layer with the other `Deno.*` calls.
 *
 * @module
 */

/**
 * Reads a text file synchronously (certificates are small and Qt's
 * `QSslCertificate::fromPath()` is synchronous).
 *
 * @param path The file's path.
 * @returns The file's text.
 */
export function readTextFileSync(path: string | URL): string {
  return Deno.readTextFileSync(path);
}
