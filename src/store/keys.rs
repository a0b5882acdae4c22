//! Key encoding shared by the store's trees: big-endian integers so that byte order equals
//! numeric order, signed times shifted so negative times sort first, length-prefixed labels,
//! and a reader that turns a malformed key into `StoreError::Corrupt` instead of a panic.

use sled::transaction::TransactionError;

use super::StoreError;

/// Big-endian bytes of an unsigned number.
pub fn be_u64(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

/// Bytes of a signed time that sort in time order (the sign bit flipped).
pub fn time_key(value: i64) -> [u8; 8] {
    ((value as u64) ^ (1 << 63)).to_be_bytes()
}

/// Inverse of [`time_key`].
pub fn time_from_key(bytes: [u8; 8]) -> i64 {
    (u64::from_be_bytes(bytes) ^ (1 << 63)) as i64
}

/// Append a label (at most 255 bytes) preceded by its length.
pub fn push_label(key: &mut Vec<u8>, label: &str) -> Result<(), StoreError> {
    let len = u8::try_from(label.len())
        .map_err(|_| StoreError::Invalid(format!("`{label}` is longer than 255 bytes")))?;
    key.push(len);
    key.extend_from_slice(label.as_bytes());
    Ok(())
}

/// The smallest key greater than every key that starts with `prefix` (exclusive range end).
/// Keys in this crate start with a tag byte below 0xFF, so a successor always exists; an
/// all-0xFF prefix is answered with a longer all-0xFF key, which is the best bound available.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}

/// Decode a stored big-endian counter.
pub fn decode_u64(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| corrupt(what, format!("expected 8 bytes, found {}", bytes.len())))
}

/// Decode a stored big-endian signed number (written with `i64::to_be_bytes`).
pub fn decode_i64(bytes: &[u8], what: &str) -> Result<i64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(i64::from_be_bytes)
        .map_err(|_| corrupt(what, format!("expected 8 bytes, found {}", bytes.len())))
}

/// Build a `StoreError::Corrupt` with a hint on what to do.
pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_owned(),
        detail: format!("{detail}; restore the database from a backup if this persists"),
    }
}

/// Decode a JSON value stored by this crate.
pub fn decode_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(what, e))
}

/// Encode a value as JSON for storage.
pub fn encode_json<T: serde::Serialize>(value: &T, what: &str) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value)
        .map_err(|e| StoreError::Invalid(format!("{what} cannot be encoded: {e}")))
}

/// Flatten a sled transaction error whose abort reason is already a `StoreError`.
pub fn from_tx(error: TransactionError<StoreError>) -> StoreError {
    match error {
        TransactionError::Abort(inner) => inner,
        TransactionError::Storage(inner) => StoreError::Db(inner),
    }
}

/// Reads the parts of a key in order; every shortfall is a `Corrupt` error naming `what`.
pub struct KeyReader<'a> {
    rest: &'a [u8],
    what: &'a str,
}

impl<'a> KeyReader<'a> {
    /// Read `key` from its start; `what` names it in any `Corrupt` error.
    pub fn new(key: &'a [u8], what: &'a str) -> Self {
        Self { rest: key, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.rest.len() < n {
            return Err(corrupt(self.what, "key is too short"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Pass over `n` bytes (a tag, a part the caller does not need).
    pub fn skip(&mut self, n: usize) -> Result<(), StoreError> {
        self.take(n).map(|_| ())
    }

    /// The next 8 bytes as a big-endian number.
    pub fn u64(&mut self) -> Result<u64, StoreError> {
        decode_u64(self.take(8)?, self.what)
    }

    /// The next 8 bytes as a time written by [`time_key`].
    pub fn time(&mut self) -> Result<i64, StoreError> {
        let bytes = self.take(8)?;
        <[u8; 8]>::try_from(bytes)
            .map(time_from_key)
            .map_err(|_| corrupt(self.what, "bad time in key"))
    }

    /// The next label written by [`push_label`]: a length byte, then that much UTF-8.
    pub fn label(&mut self) -> Result<&'a str, StoreError> {
        let len = usize::from(*self.take(1)?.first().unwrap_or(&0));
        std::str::from_utf8(self.take(len)?).map_err(|e| corrupt(self.what, e))
    }

    /// Everything not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_sort_in_time_order() {
        let times = [i64::MIN, -1_000_000, -1, 0, 1, 1_700_000_000, i64::MAX];
        for pair in times.windows(2) {
            assert!(time_key(pair[0]) < time_key(pair[1]), "{pair:?}");
        }
        for t in times {
            assert_eq!(time_from_key(time_key(t)), t);
        }
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end(&[1, 2]), vec![1, 3]);
        assert_eq!(prefix_end(&[1, 0xFF]), vec![2]);
        assert!(prefix_end(&[1, 2]).as_slice() > [1, 2, 0xFF, 0xFF].as_slice());
    }

    #[test]
    fn reader_reports_short_keys_as_corrupt() {
        let mut key = vec![];
        key.extend_from_slice(&be_u64(9));
        push_label(&mut key, "main").unwrap();
        let mut reader = KeyReader::new(&key, "test key");
        assert_eq!(reader.u64().unwrap(), 9);
        assert_eq!(reader.label().unwrap(), "main");
        assert!(matches!(reader.u64(), Err(StoreError::Corrupt { .. })));
        assert!(matches!(
            KeyReader::new(&[5, b'a'], "k").label(),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
