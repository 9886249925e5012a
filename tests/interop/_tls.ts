/**
 * TLS for the wss: pairs: the test CA and the server certificate it signed
 * (for 127.0.0.1, ::1 and localhost) from tests/fixtures/tls/, as file paths
 * for the peers and as configurations for our classes.
 *
 * @module
 */

import { QSslCertificate, QSslConfiguration, QSslKey } from "../../mod.ts";

const FIXTURES = new URL("../fixtures/tls/", import.meta.url);

/** PEM files a peer process reads. */
export const TLS_FILES: { ca: string; cert: string; key: string } = {
  ca: new URL("ca.crt", FIXTURES).pathname,
  cert: new URL("server.crt", FIXTURES).pathname,
  key: new URL("server.key", FIXTURES).pathname,
};

/** Our side's configurations: a client that trusts only the test CA, a server with its certificate. */
export function tlsConfigurations(): { client: QSslConfiguration; server: QSslConfiguration } {
  const client = QSslConfiguration.defaultConfiguration();
  client.setCaCertificates(QSslCertificate.fromPath(TLS_FILES.ca));
  const server = QSslConfiguration.defaultConfiguration();
  server.setLocalCertificateChain(QSslCertificate.fromPath(TLS_FILES.cert));
  server.setPrivateKey(new QSslKey(Deno.readTextFileSync(TLS_FILES.key)));
  return { client, server };
}
