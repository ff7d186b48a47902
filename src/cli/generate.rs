//! `kinspect completions SHELL` and `kinspect man`: shell completion scripts
//! (clap_complete) and roff manual pages (clap_mangen), both made from the
//! same clap definition as `--help`, so they cannot drift from it.

use std::io::Write;
use std::path::PathBuf;

use clap_complete::Shell;

use super::{EXIT_OK, usage_error};

/// `kinspect completions SHELL`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    kinspect completions bash > /etc/bash_completion.d/kinspect\n  \
    kinspect completions zsh > ~/.zfunc/_kinspect      # with fpath+=~/.zfunc\n  \
    kinspect completions fish > ~/.config/fish/completions/kinspect.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `kinspect man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    kinspect man | man -l -\n  \
    kinspect man --dir ~/.local/share/man/man1 && man kinspect-certs-check")]
pub struct ManArgs {
    /// Write one page per command (kinspect.1, kinspect-certs-check.1, ...)
    /// into DIR instead of all pages to stdout
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: CompletionsArgs) -> i32 {
    let mut cmd = super::examples::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "kinspect", &mut out);
    write_stdout(&out)
}

/// Writes the manual: every page to stdout (one roff stream that `man -l -`
/// shows page after page), or one file per page with `--dir`.
pub fn man(args: ManArgs) -> i32 {
    let mut cmd = super::examples::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, &mut pages);
    match args.dir {
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                return usage_error(format!("cannot create {}: {e}", dir.display()));
            }
            for page in &pages {
                let path = dir.join(page.get_filename());
                let written = std::fs::File::create(&path).and_then(|mut f| page.render(&mut f));
                if let Err(e) = written {
                    return usage_error(format!("cannot write {}: {e}", path.display()));
                }
            }
            eprintln!("{} manual pages written to {}", pages.len(), dir.display());
            EXIT_OK
        }
        None => {
            let mut out = Vec::new();
            for page in &pages {
                if let Err(e) = page.render(&mut out) {
                    return usage_error(format!("cannot render the manual: {e}"));
                }
            }
            write_stdout(&out)
        }
    }
}

/// The page of `cmd` and of every visible subcommand below it, depth first.
fn collect(cmd: &clap::Command, pages: &mut Vec<clap_mangen::Man>) {
    pages.push(clap_mangen::Man::new(cmd.clone()).manual("kinspect"));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages);
    }
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => usage_error(format!("cannot write to stdout: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_gets_a_page_named_after_its_path() {
        let mut cmd = super::super::examples::command().disable_help_subcommand(true);
        cmd.build();
        let mut pages = Vec::new();
        collect(&cmd, &mut pages);
        let names: Vec<String> = pages.iter().map(|p| p.get_filename()).collect();
        assert_eq!(names[0], "kinspect.1");
        for want in [
            "kinspect-certs-check.1",
            "kinspect-etcd.1",
            "kinspect-man.1",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("-help")), "{names:?}");
    }
}
