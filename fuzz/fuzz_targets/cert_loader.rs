//! The certificate and kubeconfig loaders on any bytes (`pki::load::parse`
//! for PEM/DER/bundles, `Kubeconfig::parse` for kubeconfigs): never a
//! panic; every certificate found re-parses from its own DER to the same
//! fingerprint, formats its times, and goes through key matching and chain
//! verification against the other certificates of the input.
//!
//! Seeds: `cp certs/*/*.crt certs/bad-input/* fuzz/corpus/cert_loader/`
//! (the scenario files made by scripts/make-certs).

#![no_main]

use std::path::Path;

use kinspect::pki::kubeconfig::{Kubeconfig, Material, looks_like_kubeconfig};
use kinspect::pki::node::NodeRoot;
use kinspect::pki::verify::{Anchor, VerifyOptions, verify};
use kinspect::pki::{CertInfo, load};
use kinspect::timestamp::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = load::parse(data);
    let _ = c.why_empty();
    let anchors: Vec<Anchor> = c
        .certs
        .iter()
        .take(4)
        .map(|cert| Anchor::new(cert.clone(), "fuzz"))
        .collect();
    for cert in c.certs.iter().take(4) {
        let again = CertInfo::from_der(&cert.der).expect("a parsed certificate re-parses");
        assert_eq!(again.sha256, cert.sha256);
        let _ = (cert.not_before.rfc3339(), cert.not_after.rfc3339());
        let _ = cert.san_strings();
        for k in c.keys.iter().take(2) {
            let _ = k.matches(cert);
        }
        let mut o = VerifyOptions::new(&anchors, Timestamp(1_780_272_000_000_000_000));
        o.name = Some("kubernetes.default.svc");
        let v = verify(cert, &o);
        let _ = v.findings.iter().map(|f| f.to_string()).count();
    }
    if looks_like_kubeconfig(data) {
        if let Ok(kc) = Kubeconfig::parse(data, Path::new("/fuzz/kubeconfig"), &NodeRoot::host()) {
            for m in kc
                .users
                .iter()
                .flat_map(|u| [u.cert.as_ref(), u.key.as_ref()])
                .chain(kc.clusters.iter().map(|c| c.ca.as_ref()))
                .flatten()
            {
                // Only embedded data: a path would make the fuzzer read files.
                if let Material::Data { .. } | Material::Broken { .. } = m {
                    let _ = m.contents();
                }
            }
            let _ = kc.users.first().map(|u| kc.cluster_for_user(&u.name));
        }
    }
});
