//! pki: load certificates (PEM, DER, bundles, kubeconfig `*-data` fields,
//! kubeadm PKI folders, kubelet `pki/`), build chains, verify signatures,
//! and diagnose what is wrong with them; the live TLS probe.
//!
//! The pieces, for other modules to use:
//! - [`CertInfo`] ([`cert`]): one certificate decoded from DER — names,
//!   serial, validity (dates before 1970 and after 2049 included), SANs,
//!   key, signature algorithm, key usage, EKU, CA flags, key identifiers,
//!   fingerprints.
//! - [`load`]: PEM/DER/bundle reading that reports bad blocks and keeps going.
//! - [`verify()`] ([`verify`](mod@verify)): chain building and verification at a given
//!   time against [`Anchor`]s, with [`Finding`]s in words; trust anchors are
//!   judged too, and rustls-webpki gives a second opinion.
//! - [`finding`]: [`Finding`], [`Severity`], [`Status`], kubeadm's residual time.
//! - [`key`]: does a private key belong to a certificate (never printed).
//! - [`kubeconfig`]: kubeconfig files, embedded and path forms.
//! - [`node`]: a node's file tree (`--root DIR`: absolute paths and
//!   symlinks resolve inside it).
//! - [`kubeadm`]: kubeadm's file names, CAs, required usages and SANs.
//! - [`check`]: the `certs check` scan.
//! - [`kubelet`]: the kubelet's certificate story (`certs kubelet`).
//! - [`probe`]: the live TLS probe (`tls probe`).

pub mod cert;
pub mod check;
pub mod finding;
pub mod key;
pub mod kubeadm;
pub mod kubeconfig;
pub mod kubelet;
pub mod load;
pub mod node;
pub mod probe;
pub mod verify;

pub use cert::{CertInfo, CertTime, Eku, KeyAlgorithm, KeyInfo, San};
pub use finding::{Finding, Purpose, Severity, Status, residual};
pub use verify::{Anchor, Verification, VerifyOptions, verify};
