//! Cross-view tests: every view renders on empty, huge and hostile input within limits.
