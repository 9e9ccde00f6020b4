//! Reading a JSON Lines log from its end, so that what a command costs depends on what it shows,
//! never on how long the log has grown. The runtime's receipts log uses it, and the xtask
//! compiles this very file into its own receipts module (`#[path]`), so both logs are read the
//! same way.
//!
//! [`Backwards`] yields the complete lines of a file newest first, reading blocks backwards from
//! the end, and stops at a byte budget. Bytes after the last newline are not a line: they are the
//! [`Tail`], reported and never yielded. This module only reads and knows nothing about
//! receipts: callers parse the lines. It must not write to the file.

use std::io::{self, Read, Seek, SeekFrom};

/// How much is read at a time (more when one line is longer: blocks double).
pub const BLOCK: usize = 64 * 1024;

/// One complete line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The byte offset of its first byte.
    pub offset: u64,
    /// Its bytes, without the trailing newline.
    pub bytes: Vec<u8>,
    /// How many complete lines follow it (0 for the last complete line).
    pub from_end: usize,
}

/// What follows the last newline of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The file is empty or ends with a newline.
    Clean,
    /// A line without its trailing newline: an interrupted write, or a writer that stopped
    /// between a line and its newline.
    Unterminated {
        /// Where it starts.
        offset: u64,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// No newline within the budget: the last `scanned` bytes are all one unterminated line.
    TooLong {
        /// How many bytes were read without finding a newline.
        scanned: u64,
    },
}

/// The complete lines of a file, newest first, read backwards within a byte budget.
#[derive(Debug)]
pub struct Backwards<R> {
    reader: R,
    /// The file offset of `buffer[0]`.
    start: u64,
    /// Bytes from `start` to the end of the next line to yield (its newline included).
    buffer: Vec<u8>,
    /// How many bytes at the front of `buffer` have not been searched for a newline yet.
    unsearched: usize,
    /// Bytes that may still be read.
    budget: u64,
    yielded: usize,
    stopped_by_budget: bool,
    tail: Tail,
}

impl<R: Read + Seek> Backwards<R> {
    /// Starts reading `reader` from its end, reading at most `budget` bytes in all (the
    /// unterminated tail included).
    pub fn new(mut reader: R, budget: u64) -> io::Result<Backwards<R>> {
        let length = reader.seek(SeekFrom::End(0))?;
        let mut scan = Backwards {
            reader,
            start: length,
            buffer: Vec::new(),
            unsearched: 0,
            budget,
            yielded: 0,
            stopped_by_budget: false,
            tail: Tail::Clean,
        };
        loop {
            if let Some(index) = last_newline(&scan.buffer[..scan.unsearched]) {
                let rest = scan.buffer.split_off(index + 1);
                if !rest.is_empty() {
                    scan.tail = Tail::Unterminated { offset: scan.start + index as u64 + 1, bytes: rest };
                }
                scan.unsearched = index;
                return Ok(scan);
            }
            if scan.start == 0 {
                if !scan.buffer.is_empty() {
                    scan.tail = Tail::Unterminated { offset: 0, bytes: std::mem::take(&mut scan.buffer) };
                }
                scan.unsearched = 0;
                return Ok(scan);
            }
            if !scan.fill()? {
                scan.tail = Tail::TooLong { scanned: length - scan.start };
                scan.buffer = Vec::new();
                scan.unsearched = 0;
                scan.stopped_by_budget = true;
                return Ok(scan);
            }
        }
    }

    /// What follows the last newline.
    pub fn tail(&self) -> &Tail {
        &self.tail
    }

    /// The next complete line, going backwards; `None` at the start of the file or when the
    /// budget ran out (see [`Backwards::stopped_by_budget`]).
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        loop {
            match self.buffer.len().checked_sub(1) {
                Some(last) => {
                    let searched_until = self.unsearched.min(last);
                    if let Some(index) = last_newline(&self.buffer[..searched_until]) {
                        let mut bytes = self.buffer.split_off(index + 1);
                        bytes.pop();
                        self.unsearched = index;
                        return Ok(Some(self.line(self.start + index as u64 + 1, bytes)));
                    }
                    if self.start == 0 {
                        let mut bytes = std::mem::take(&mut self.buffer);
                        bytes.pop();
                        self.unsearched = 0;
                        return Ok(Some(self.line(0, bytes)));
                    }
                }
                None if self.start == 0 => return Ok(None),
                None => {}
            }
            if !self.fill()? {
                self.stopped_by_budget = true;
                self.buffer = Vec::new();
                self.unsearched = 0;
                return Ok(None);
            }
        }
    }

    /// Whether every line of the file has been yielded.
    pub fn reached_start(&self) -> bool {
        self.start == 0 && self.buffer.is_empty() && !self.stopped_by_budget
    }

    /// Whether the budget ran out before the start of the file: older lines were not read.
    pub fn stopped_by_budget(&self) -> bool {
        self.stopped_by_budget
    }

    /// How many lines have been yielded.
    pub fn lines_read(&self) -> usize {
        self.yielded
    }

    /// The 1-based line number of a yielded line, once the start of the file was reached.
    pub fn line_number(&self, line: &Line) -> Option<usize> {
        self.reached_start().then(|| self.yielded - line.from_end)
    }

    fn line(&mut self, offset: u64, bytes: Vec<u8>) -> Line {
        let line = Line { offset, bytes, from_end: self.yielded };
        self.yielded += 1;
        line
    }

    /// Reads the block before `start` into the front of the buffer; `false` when the budget is
    /// spent. Blocks double with the buffer, so a long line costs linear time, not quadratic.
    fn fill(&mut self) -> io::Result<bool> {
        let wanted = (BLOCK.max(self.buffer.len()) as u64).min(self.start).min(self.budget);
        if wanted == 0 {
            return Ok(false);
        }
        let from = self.start - wanted;
        let mut block = vec![0; wanted as usize];
        self.reader.seek(SeekFrom::Start(from))?;
        self.reader.read_exact(&mut block)?;
        block.append(&mut self.buffer);
        self.buffer = block;
        self.unsearched = wanted as usize;
        self.start = from;
        self.budget -= wanted;
        Ok(true)
    }
}

/// The last `\n`, eight bytes a step: a word without one is skipped whole (the xtask compiles
/// this file unoptimised, where a byte-by-byte search cost 70 instructions a byte of the log).
fn last_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    let mut end = bytes.len();
    while let Some(word) = end.checked_sub(8).and_then(|start| bytes[start..end].try_into().ok()) {
        let zeroed = u64::from_le_bytes(word) ^ NEWLINES;
        // A byte of `zeroed` is 0 exactly where `word` has a newline.
        if zeroed.wrapping_sub(ONES) & !zeroed & HIGHS != 0 {
            break;
        }
        end -= 8;
    }
    bytes[..end].iter().rposition(|&byte| byte == b'\n')
}

/// `1234567` as `1,234,567`, for counts in summaries.
pub fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time search finds what a byte-by-byte one finds, at every offset.
    #[test]
    fn the_last_newline_is_found_at_every_offset() {
        for length in 0..40 {
            for at in 0..=length {
                let mut bytes = vec![b'x'; length];
                if at < length {
                    bytes[at] = b'\n';
                }
                bytes.extend_from_slice(&[0x8a, 0x0b, 0x09][..length % 3]);
                let expected = bytes.iter().rposition(|&byte| byte == b'\n');
                assert_eq!(last_newline(&bytes), expected, "{bytes:?}");
            }
        }
    }

    use std::io::Cursor;

    fn all(text: &str, budget: u64) -> (Vec<(u64, String)>, Tail, bool) {
        let mut scan = Backwards::new(Cursor::new(text.as_bytes().to_vec()), budget).unwrap();
        let mut lines = Vec::new();
        while let Some(line) = scan.next_line().unwrap() {
            lines.push((line.offset, String::from_utf8(line.bytes).unwrap()));
        }
        (lines, scan.tail().clone(), scan.reached_start())
    }

    /// Lines come newest first with their offsets; blank lines are lines; the tail is not one.
    #[test]
    fn yields_complete_lines_newest_first() {
        let (lines, tail, reached) = all("a\n\nbc\ntorn", 1 << 20);
        assert_eq!(lines, [(3, "bc".into()), (2, "".into()), (0, "a".into())]);
        assert_eq!(tail, Tail::Unterminated { offset: 6, bytes: b"torn".to_vec() });
        assert!(reached);
        assert_eq!(all("", 10), (vec![], Tail::Clean, true));
        assert_eq!(all("only", 10).1, Tail::Unterminated { offset: 0, bytes: b"only".to_vec() });
    }

    /// Lines longer than a block, and across block boundaries, come out whole.
    #[test]
    fn long_lines_cross_blocks() {
        let long = "x".repeat(BLOCK * 3 + 7);
        let text = format!("first\n{long}\nlast\n");
        let (lines, tail, reached) = all(&text, u64::MAX);
        assert_eq!(lines.iter().map(|(_, line)| line.len()).collect::<Vec<_>>(), [4, long.len(), 5]);
        assert_eq!((tail, reached), (Tail::Clean, true));
    }

    /// The budget bounds what is read: older lines are not yielded, and the scan says so.
    #[test]
    fn the_budget_stops_the_scan() {
        let text = "line\n".repeat(100);
        let mut scan = Backwards::new(Cursor::new(text.into_bytes()), 12).unwrap();
        let mut count = 0;
        while scan.next_line().unwrap().is_some() {
            count += 1;
        }
        assert_eq!(count, 2);
        assert!(scan.stopped_by_budget() && !scan.reached_start());
        let scan = Backwards::new(Cursor::new(vec![b'x'; 100]), 10).unwrap();
        assert_eq!(scan.tail(), &Tail::TooLong { scanned: 10 });
    }

    /// Line numbers are known once the scan reached the start of the file.
    #[test]
    fn line_numbers_once_the_start_is_reached() {
        let mut scan = Backwards::new(Cursor::new(b"a\nb\nc\n".to_vec()), 100).unwrap();
        let mut lines = Vec::new();
        while let Some(line) = scan.next_line().unwrap() {
            lines.push(line);
        }
        let numbers: Vec<Option<usize>> = lines.iter().map(|line| scan.line_number(line)).collect();
        assert_eq!(numbers, [Some(3), Some(2), Some(1)]);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
