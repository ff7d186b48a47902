//! A kubeadm-style etcd PKI made with the openssl command line:
//! `etcd/ca` (10 years), and signed by it for one year `etcd/server` and
//! `etcd/peer` (server and client auth; SANs localhost, 127.0.0.1, ::1 and
//! the lab's IP) and `etcd/healthcheck-client` (client auth), as kubeadm
//! lays them out under `/etc/kubernetes/pki/etcd`. RSA 2048 keys like
//! kubeadm's default; every file mode 0600.

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::LabError;

/// The files a complete PKI has, relative to its folder.
pub const FILES: [&str; 8] = [
    "ca.crt",
    "ca.key",
    "server.crt",
    "server.key",
    "peer.crt",
    "peer.key",
    "healthcheck-client.crt",
    "healthcheck-client.key",
];

/// True when every file of the PKI exists in `dir`.
pub fn complete(dir: &Path) -> bool {
    FILES.iter().all(|f| dir.join(f).is_file())
}

fn openssl(step: &str, args: &[&str]) -> Result<(), LabError> {
    let out = Command::new("openssl").args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LabError::NoOpenssl
        } else {
            LabError::Openssl {
                step: step.to_string(),
                stderr: e.to_string(),
            }
        }
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(LabError::Openssl {
            step: step.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_string(),
        })
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn random_serial() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    let rng = ring::rand::SystemRandom::new();
    if rng.fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        b = t.to_be_bytes();
    }
    b[0] &= 0x7f; // positive
    b[0] |= 0x10; // no leading zero byte
    format!("0x{}", hex::encode(b))
}

fn write_private(path: &Path, text: &str) -> Result<(), LabError> {
    std::fs::write(path, text).map_err(|source| LabError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    chmod600(path)
}

fn chmod600(path: &Path) -> Result<(), LabError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        LabError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

fn new_key(path: &Path) -> Result<(), LabError> {
    // Create the file 0600 first so the key is never readable by others.
    write_private(path, "")?;
    openssl(
        &format!("genpkey {}", path.display()),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &path_str(path),
        ],
    )?;
    chmod600(path)
}

/// A leaf certificate `name.crt`/`name.key` signed by the CA in `dir`.
fn leaf(dir: &Path, name: &str, cn: &str, ext: &str) -> Result<(), LabError> {
    let key = dir.join(format!("{name}.key"));
    let csr = dir.join(format!("{name}.csr"));
    let crt = dir.join(format!("{name}.crt"));
    let extfile = dir.join(format!("{name}.ext"));
    new_key(&key)?;
    write_private(&extfile, ext)?;
    let subj = format!("/CN={cn}");
    let r = openssl(
        &format!("req {name}"),
        &[
            "req",
            "-new",
            "-key",
            &path_str(&key),
            "-subj",
            &subj,
            "-out",
            &path_str(&csr),
        ],
    )
    .and_then(|_| {
        openssl(
            &format!("x509 {name}"),
            &[
                "x509",
                "-req",
                "-in",
                &path_str(&csr),
                "-CA",
                &path_str(&dir.join("ca.crt")),
                "-CAkey",
                &path_str(&dir.join("ca.key")),
                "-set_serial",
                &random_serial(),
                "-days",
                "365",
                "-sha256",
                "-extfile",
                &path_str(&extfile),
                "-out",
                &path_str(&crt),
            ],
        )
    });
    let _ = std::fs::remove_file(&csr);
    let _ = std::fs::remove_file(&extfile);
    r?;
    chmod600(&crt)
}

/// Makes the PKI in `dir` (created 0700) for a lab on `ip`.
pub fn generate(dir: &Path, ip: Ipv4Addr) -> Result<PathBuf, LabError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| LabError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    let ca_key = dir.join("ca.key");
    let ca_crt = dir.join("ca.crt");
    new_key(&ca_key)?;
    openssl(
        "req ca",
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &path_str(&ca_key),
            "-sha256",
            "-days",
            "3650",
            "-subj",
            "/CN=etcd-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
            "-addext",
            "subjectKeyIdentifier=hash",
            "-out",
            &path_str(&ca_crt),
        ],
    )?;
    chmod600(&ca_crt)?;
    let mut sans = vec![
        "DNS:localhost".to_string(),
        "IP:127.0.0.1".to_string(),
        "IP:0:0:0:0:0:0:0:1".to_string(),
    ];
    if ip != Ipv4Addr::LOCALHOST {
        sans.push(format!("IP:{ip}"));
    }
    let serving = format!(
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth,clientAuth\n\
         subjectAltName={}\n\
         authorityKeyIdentifier=keyid\n\
         subjectKeyIdentifier=hash\n",
        sans.join(",")
    );
    leaf(dir, "server", "kinspect-lab", &serving)?;
    leaf(dir, "peer", "kinspect-lab", &serving)?;
    leaf(
        dir,
        "healthcheck-client",
        "kube-etcd-healthcheck-client",
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=clientAuth\n\
         authorityKeyIdentifier=keyid\n\
         subjectKeyIdentifier=hash\n",
    )?;
    Ok(dir.to_path_buf())
}
