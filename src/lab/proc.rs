//! The lab's processes: start etcd detached (own process group, output to
//! a log file, never waited for), and find, verify and signal it later by
//! pid. A pid is only ever signalled after `/proc/PID/cmdline` shows it is
//! an `etcd` with the lab member's exact `--data-dir`; signals go through a
//! pidfd where the kernel has one, so a reused pid is never hit.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first executable called `name` in `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Starts `bin args...` in its own process group with stdin closed and
/// stdout/stderr appended to `log` (created 0600). `ETCD_*` variables of
/// our environment are not passed on (etcd would read them as flags).
/// Returns the pid; the process outlives us.
pub fn spawn_detached(bin: &Path, args: &[String], log: &Path) -> io::Result<u32> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log)?;
    let err = out.try_clone()?;
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("ETCD_") {
            cmd.env_remove(k);
        }
    }
    let child = cmd.spawn()?;
    Ok(child.id())
}

/// The process's arguments, or `None` if it is gone or a zombie.
fn cmdline(pid: i32) -> Option<Vec<String>> {
    if pid <= 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the state follows the last ')'.
    let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
    if matches!(state, 'Z' | 'X' | 'x') {
        return None;
    }
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if raw.is_empty() {
        return None;
    }
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

/// True while `pid` exists and is not a zombie (whatever it runs). Right
/// after a spawn, `/proc/PID/cmdline` can still be empty (the kernel lets
/// the parent go before the new program's arguments are in place), so a
/// process we just started is watched with this, not [`is_ours`].
pub fn alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            Some(!matches!(state, 'Z' | 'X' | 'x'))
        })
        .unwrap_or(false)
}

/// True when `args` is an etcd started with exactly this data dir.
pub fn is_etcd_with_data_dir(args: &[String], data_dir: &Path) -> bool {
    let Some(argv0) = args.first() else {
        return false;
    };
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    if base != "etcd" {
        return false;
    }
    let want = data_dir.to_string_lossy();
    args.windows(2)
        .any(|w| w[0] == "--data-dir" && w[1] == want)
        || args
            .iter()
            .any(|a| a.strip_prefix("--data-dir=") == Some(&*want))
}

/// True when `pid` is alive and is the etcd of this data dir.
pub fn is_ours(pid: i32, data_dir: &Path) -> bool {
    cmdline(pid).is_some_and(|a| is_etcd_with_data_dir(&a, data_dir))
}

/// Every live etcd process whose `--data-dir` is `data_dir` (a safety net
/// for a lost pid file).
pub fn find_ours(data_dir: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| is_ours(*pid, data_dir))
        .collect()
}

/// Sends `sig` to `pid` only if it is the etcd of `data_dir`. `Ok(false)`
/// when it is not (or no longer) running.
pub fn signal_ours(pid: i32, data_dir: &Path, sig: i32) -> io::Result<bool> {
    // Pin the process first, then check it, then signal through the pin.
    // SAFETY: pidfd_open takes a pid and flags; it returns an fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::ESRCH) => Ok(false),
            Some(libc::ENOSYS) | Some(libc::EPERM) => {
                // Old kernel: check, then kill (a tiny pid-reuse window).
                if !is_ours(pid, data_dir) {
                    return Ok(false);
                }
                // SAFETY: plain kill(2) on a pid we just verified.
                let r = unsafe { libc::kill(pid, sig) };
                if r == 0 {
                    Ok(true)
                } else {
                    let e = io::Error::last_os_error();
                    if e.raw_os_error() == Some(libc::ESRCH) {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
            _ => Err(err),
        };
    }
    let fd = fd as i32;
    let result = if is_ours(pid, data_dir) {
        // SAFETY: fd is the pidfd opened above; info may be null.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                fd,
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if r == 0 {
            Ok(true)
        } else {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ESRCH) {
                Ok(false)
            } else {
                Err(e)
            }
        }
    } else {
        Ok(false)
    };
    // SAFETY: closing the fd we own.
    unsafe { libc::close(fd) };
    result
}

/// Waits until `pid` is no longer the etcd of `data_dir`; false on timeout.
pub fn wait_gone(pid: i32, data_dir: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !is_ours(pid, data_dir) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM, then SIGKILL after `grace`; true once the process is gone.
pub fn stop(pid: i32, data_dir: &Path, grace: Duration) -> io::Result<bool> {
    if !signal_ours(pid, data_dir, libc::SIGTERM)? {
        return Ok(true);
    }
    if wait_gone(pid, data_dir, grace) {
        return Ok(true);
    }
    signal_ours(pid, data_dir, libc::SIGKILL)?;
    Ok(wait_gone(pid, data_dir, Duration::from_secs(5)))
}

/// The last `n` lines of a file (for error messages).
pub fn tail(path: &Path, n: usize) -> String {
    let Ok(text) = std::fs::read(path) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recognises_only_our_etcd() {
        let d = Path::new("/x/lab/m1.etcd");
        assert!(is_etcd_with_data_dir(
            &args(&[
                "/usr/bin/etcd",
                "--name",
                "m1",
                "--data-dir",
                "/x/lab/m1.etcd"
            ]),
            d
        ));
        assert!(is_etcd_with_data_dir(
            &args(&["etcd", "--data-dir=/x/lab/m1.etcd"]),
            d
        ));
        assert!(!is_etcd_with_data_dir(
            &args(&["/usr/bin/etcd", "--data-dir", "/x/lab/m2.etcd"]),
            d
        ));
        assert!(!is_etcd_with_data_dir(
            &args(&["/bin/sleep", "--data-dir", "/x/lab/m1.etcd"]),
            d
        ));
        assert!(!is_etcd_with_data_dir(
            &args(&["/usr/bin/etcdctl", "--data-dir", "/x/lab/m1.etcd"]),
            d
        ));
        assert!(!is_etcd_with_data_dir(&[], d));
    }

    #[test]
    fn our_own_process_is_not_an_etcd() {
        let me = std::process::id() as i32;
        assert!(cmdline(me).is_some());
        assert!(!is_ours(me, Path::new("/nonexistent")));
        assert_eq!(
            signal_ours(me, Path::new("/nonexistent"), libc::SIGKILL).ok(),
            Some(false)
        );
        assert!(cmdline(-1).is_none());
    }
}
