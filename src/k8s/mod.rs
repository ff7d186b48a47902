//! k8s: decoding of the values Kubernetes stores in etcd.
