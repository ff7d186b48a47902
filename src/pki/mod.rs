//! pki: load certificates (PEM, DER, bundles, kubeconfig `*-data` fields,
//! kubeadm PKI folders, kubelet `pki/`), build chains, verify signatures,
//! and diagnose what is wrong with them; the live TLS probe.

pub mod probe;
