//! lab: a local three-member etcd cluster on loopback.
