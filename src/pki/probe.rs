//! `tls probe`: connect with rustls and show what a server presents.
