//! backups
