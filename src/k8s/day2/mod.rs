//! Day 2: the workloads in the stored state — why a Pod is Pending, why a
//! container does not run, why a rollout is stuck, and which manifest will
//! fail before it is applied.
//!
//! Everything here is pure: it reads a [`ClusterState`](crate::k8s::state::ClusterState)
//! (and, for `lint`, typed manifests) and returns rows; where the state
//! comes from is the loader's business, how it is printed is
//! [`crate::view::day2`]'s, and exit codes belong to the command line.
//!
//! - [`quantity`]: `resource.Quantity`, exact.
//! - [`requests`]: a Pod's requests as the scheduler computes them.
//! - [`qos`]: the QoS class by the upstream rules.
//! - [`sched`]: kube-scheduler's filters per node; [`fit_error`]: its sentence.
//! - [`containers`]: container states of bound Pods.
//! - [`why`], [`rollout`], [`lint`]: the three commands' reasoning.
//! - [`testkit`]: object builders and the demo cluster with every scenario.

pub mod containers;
pub mod fit_error;
pub mod lint;
pub mod qos;
pub mod quantity;
pub mod requests;
pub mod rollout;
pub mod sched;
pub mod testkit;
pub mod why;

pub use lint::{LintFinding, LintStatus, ManifestObject, lint};
pub use rollout::{RolloutReport, RolloutState};
pub use why::{NodeFit, WhyError, WhyReport, why_all, why_object};
