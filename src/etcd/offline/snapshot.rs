//! `etcdctl snapshot status` figures (hash, revision, total keys, total
//! size) and the integrity check of a snapshot file. (Filled in next.)
