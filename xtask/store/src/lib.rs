//! The table and file format of `cargo xtask`'s incremental cache (`xtask/src/cache.rs` decides
//! what is cached and when an entry may be trusted; this crate only stores). A crate of its own so
//! that it is optimised even in the dev profile the xtask runs in: `check` and `status` read,
//! verify and look up every entry on every run.
//!
//! The file: a magic line, the format number, the cache's key (what every entry depends on), the
//! entries, then a checksum of everything before it. An entry: its `kind \0 path` name, its
//! `extra` inputs, the stat data of its file (seven numbers) and its encoded value. Every read is
//! bounds-checked: a truncated, corrupt or foreign file reads as `None`, never a panic.
//!
//! `tree.rs`: files' stat data, and the stat fingerprint of a whole working tree (the key of
//! `check`'s whole verdict), read on every run too.

use std::collections::HashMap;

pub mod tree;

/// One derived value and what it was derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The derivation's inputs beyond its file (for example a document's kind).
    pub extra: String,
    /// The file's stat data when the value was derived.
    pub stat: [u64; 7],
    /// The value, as its codec wrote it.
    pub value: Vec<u8>,
    /// Looked up or stored in this run.
    pub touched: bool,
}

/// The cache's entries by `(kind, path)`.
#[derive(Debug, Default)]
pub struct Table {
    entries: HashMap<String, Entry, Fnv>,
}

fn name(kind: &str, path: &str) -> String {
    let mut name = String::with_capacity(kind.len() + 1 + path.len());
    name.push_str(kind);
    name.push('\0');
    name.push_str(path);
    name
}

impl Table {
    pub fn get_mut(&mut self, kind: &str, path: &str) -> Option<&mut Entry> {
        self.entries.get_mut(&name(kind, path))
    }

    pub fn insert(&mut self, kind: &str, path: &str, entry: Entry) {
        self.entries.insert(name(kind, path), entry);
    }

    /// Whether there was an entry to remove.
    pub fn remove(&mut self, kind: &str, path: &str) -> bool {
        self.entries.remove(&name(kind, path)).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops the untouched entries of the `used` kinds (their files are gone); whether any went.
    pub fn drop_untouched(&mut self, used: &[&str]) -> bool {
        let before = self.entries.len();
        self.entries
            .retain(|name, entry| entry.touched || !used.iter().any(|kind| name.split('\0').next() == Some(kind)));
        self.entries.len() != before
    }

    /// The table as a file, entries in name order (the same table gives the same bytes).
    pub fn to_bytes(&self, magic: &[u8], format: u64, key: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(magic.len() + 128 * self.entries.len());
        out.extend_from_slice(magic);
        put_u64(&mut out, format);
        put_u64(&mut out, key);
        put_u64(&mut out, self.entries.len() as u64);
        let mut names: Vec<&String> = self.entries.keys().collect();
        names.sort();
        for name in names {
            let entry = &self.entries[name];
            put_bytes(&mut out, name.as_bytes());
            put_bytes(&mut out, entry.extra.as_bytes());
            for field in entry.stat {
                put_u64(&mut out, field);
            }
            put_bytes(&mut out, &entry.value);
        }
        let sum = checksum(&out);
        put_u64(&mut out, sum);
        out
    }

    /// The table a file holds, or `None` when it is damaged, of another format or another key.
    pub fn from_bytes(bytes: &[u8], magic: &[u8], format: u64, key: u64) -> Option<Table> {
        let body = bytes.strip_prefix(magic)?;
        let (body, sum) = body.split_last_chunk::<8>()?;
        if checksum(&bytes[..bytes.len() - 8]) != u64::from_le_bytes(*sum) {
            return None;
        }
        let mut reader = Reader::new(body);
        if reader.u64()? != format || reader.u64()? != key {
            return None;
        }
        let count = usize::try_from(reader.u64()?).ok()?;
        // An entry takes at least 80 bytes: a forged count cannot reserve unbounded memory.
        let mut entries = HashMap::with_capacity_and_hasher(count.min(body.len() / 80), Fnv);
        for _ in 0..count {
            let name = reader.str()?.to_string();
            let extra = reader.str()?.to_string();
            let mut stat = [0u64; 7];
            for field in &mut stat {
                *field = reader.u64()?;
            }
            let value = reader.bytes()?.to_vec();
            entries.insert(name, Entry { extra, stat, value, touched: false });
        }
        reader.is_empty().then_some(Table { entries })
    }

    /// Forgets which entries this run touched (after they were written).
    pub fn untouch(&mut self) {
        for entry in self.entries.values_mut() {
            entry.touched = false;
        }
    }
}

/// What a derivation stores: encoded into bytes, and decoded back, or `None` when the bytes are
/// not a value (a damaged or foreign entry: a miss).
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(input: &mut Reader<'_>) -> Option<Self>;
}

/// Decodes a whole value: bytes left over make it `None`.
pub fn decode_all<T: Codec>(bytes: &[u8]) -> Option<T> {
    let mut reader = Reader::new(bytes);
    let value = T::decode(&mut reader)?;
    reader.is_empty().then_some(value)
}

/// Reads encoded values, bounds-checked.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    pub fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.bytes.split_first_chunk::<8>()?;
        self.bytes = rest;
        Some(u64::from_le_bytes(*head))
    }

    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let length = usize::try_from(self.u64()?).ok()?;
        if length > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Some(head)
    }

    pub fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    /// What is left to read.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

pub fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl Codec for String {
    fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, self.as_bytes());
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        input.str().map(str::to_string)
    }
}

impl Codec for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, *self as u64);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        usize::try_from(input.u64()?).ok()
    }
}

impl Codec for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, u64::from(*self));
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        match input.u64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => put_u64(out, 0),
            Some(value) => {
                put_u64(out, 1);
                value.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        match input.u64()? {
            0 => Some(None),
            1 => Some(Some(T::decode(input)?)),
            _ => None,
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u64(out, self.len() as u64);
        for item in self {
            item.encode(out);
        }
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let count = usize::try_from(input.u64()?).ok()?;
        // Each item takes at least eight bytes: a forged count cannot reserve unbounded memory.
        let mut items = Vec::with_capacity(count.min(input.remaining() / 8));
        for _ in 0..count {
            items.push(T::decode(input)?);
        }
        Some(items)
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        Some((A::decode(input)?, B::decode(input)?))
    }
}

/// A checksum of a file's content, eight bytes a step with multiply-rotate mixing and the length
/// folded in: it catches truncation, torn writes and flipped bytes, not an adversary (who could
/// as well rewrite `.git/hooks`).
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        hash = (hash ^ word).wrapping_mul(K).rotate_left(29);
    }
    for (index, byte) in words.remainder().iter().enumerate() {
        hash = (hash ^ (u64::from(*byte) << (8 * index))).wrapping_mul(K);
    }
    hash ^ (hash >> 32)
}

/// FNV-1a for the entries' names: short strings, hashed thousands of times a run.
#[derive(Debug, Default, Clone, Copy)]
struct Fnv;

struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8] = b"test-cache\n";

    fn table() -> Table {
        let mut table = Table::default();
        table.insert(
            "header",
            "docs/a.md",
            Entry { extra: String::new(), stat: [1; 7], value: vec![1, 2], touched: true },
        );
        table.insert("module", "src/b.rs", Entry { extra: "x".into(), stat: [2; 7], value: vec![], touched: false });
        table
    }

    /// A table reads back from its bytes; another key or format, and every truncation and every
    /// flipped byte, read as `None`.
    #[test]
    fn the_file_round_trips_and_damage_is_refused() {
        let bytes = table().to_bytes(MAGIC, 1, 7);
        let mut read = Table::from_bytes(&bytes, MAGIC, 1, 7).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read.get_mut("header", "docs/a.md").unwrap().value, vec![1, 2]);
        assert!(Table::from_bytes(&bytes, MAGIC, 1, 8).is_none());
        assert!(Table::from_bytes(&bytes, MAGIC, 2, 7).is_none());
        for cut in 0..bytes.len() {
            assert!(Table::from_bytes(&bytes[..cut], MAGIC, 1, 7).is_none(), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert!(Table::from_bytes(&flipped, MAGIC, 1, 7).is_none(), "flipped at {at}");
        }
    }

    /// Untouched entries of a used kind go; other kinds stay.
    #[test]
    fn untouched_entries_of_used_kinds_are_dropped() {
        let mut table = table();
        assert!(table.drop_untouched(&["module"]));
        assert_eq!(table.len(), 1);
        assert!(!table.drop_untouched(&["other"]));
    }

    /// Values round-trip, and damaged bytes decode to `None`, never a panic.
    #[test]
    fn codecs_round_trip_and_refuse_damage() {
        let value: Vec<(String, Option<usize>)> = vec![("a".into(), Some(3)), ("é\0".into(), None)];
        let mut bytes = Vec::new();
        value.encode(&mut bytes);
        assert_eq!(decode_all::<Vec<(String, Option<usize>)>>(&bytes), Some(value));
        for cut in 0..bytes.len() {
            assert_eq!(decode_all::<Vec<(String, Option<usize>)>>(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut forged = Vec::new();
        put_u64(&mut forged, u64::MAX);
        assert_eq!(decode_all::<Vec<String>>(&forged), None);
    }
}
