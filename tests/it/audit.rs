//! The audit trail on both dialects.
