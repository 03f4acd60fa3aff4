//! The audit: the same needs the guide renders, judged against the roles' real policies.
