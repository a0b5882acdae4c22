//! The rule for the names guilds give their case and shift types: one rule, so a name valid
//! for one kind of record is valid for the other and both fit the same index keys.

/// Longest type name.
pub const MAX_TYPE_LEN: usize = 24;

/// Check a type name: 1–24 lowercase ASCII letters, digits or `_`.
pub fn valid_type(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TYPE_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
