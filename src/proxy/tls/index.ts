/** TLS on both sides of the proxy: the listener's mounted certificate with reloads, and TLS to the endpoints. */
export { CertificateSource, describeCertificate, SECRET_FIX } from './certificate';
export type { CertificateInfo, CertificateSourceOptions } from './certificate';
export { tlsProbe } from './health-probe';
export { handshakeFailure, LISTENER_ALPN, terminateTls } from './listener';
export type { TlsHandoff, TlsTermination, TlsTerminationDeps } from './listener';
export { MountedFiles, readMountedFiles, TlsFileError } from './mounted-files';
export type { MountedFilesOptions } from './mounted-files';
export { describeTlsFailure, H1_ALPN, UpstreamTls, upstreamTlsOptions } from './upstream';
export type { UpstreamTlsDeps } from './upstream';
