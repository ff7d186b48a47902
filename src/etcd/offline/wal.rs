//! etcd's write-ahead log (member/wal/*.wal). (Filled in next.)
