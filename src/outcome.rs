//! Who has to act on an error: the person running kinspect (a flag, a
//! file, a certificate that cannot work as given) or the system kinspect
//! looked at (a cluster that does not answer, no leader). Library modules
//! answer this with [`Blame`]; only `cli` turns it into a process exit
//! code, so no library module needs to know the numbers.

/// Who has to act on an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// The invocation: flags, files, configuration (a usage or input error).
    Invocation,
    /// The observed system: it was reached, or tried, and has a problem.
    Observed,
}
