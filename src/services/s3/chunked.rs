//! `aws-chunked` decoding: the framing today's SDKs use for streaming uploads
//! (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER`,
//! ...; `Content-Encoding: aws-chunked`):
//!
//! ```text
//! <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//! [x-amz-checksum-crc32:<b64>\r\n][x-amz-trailer-signature:<sig>\r\n]\r\n
//! ```
//!
//! The decoder is incremental: it takes the body as it arrives, hands out data slices without
//! copying them, and keeps only a header line's worth of bytes. Chunk signatures are not
//! verified (the secret key is unknown to an emulator).

use bytes::{Bytes, BytesMut};

/// A chunk header or trailer line longer than this is refused.
const MAX_LINE: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    Data(u64),
    DataEnd,
    Trailers,
    Done,
}

/// Trailer lines: lower-case name, value.
pub type Trailers = Vec<(String, String)>;

/// The incremental decoder.
#[derive(Debug)]
pub struct ChunkedDecoder {
    phase: Phase,
    line: BytesMut,
    trailers: Trailers,
    decoded: u64,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    pub fn new() -> Self {
        ChunkedDecoder {
            phase: Phase::Header,
            line: BytesMut::new(),
            trailers: Vec::new(),
            decoded: 0,
        }
    }

    /// Decoded bytes so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Feeds the next piece of the body; decoded data slices are appended to `out`.
    pub fn feed(&mut self, mut input: Bytes, out: &mut Vec<Bytes>) -> Result<(), ChunkedError> {
        while !input.is_empty() {
            match self.phase {
                Phase::Header => {
                    let Some(line) = self.take_line(&mut input)? else {
                        continue;
                    };
                    let size_text = line.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(size_text, 16)
                        .map_err(|_| ChunkedError(format!("bad chunk header {line:?}")))?;
                    self.phase = if size == 0 {
                        Phase::Trailers
                    } else {
                        Phase::Data(size)
                    };
                }
                Phase::Data(remaining) => {
                    let n = remaining.min(input.len() as u64) as usize;
                    out.push(input.split_to(n));
                    self.decoded += n as u64;
                    let left = remaining - n as u64;
                    self.phase = if left == 0 {
                        Phase::DataEnd
                    } else {
                        Phase::Data(left)
                    };
                }
                Phase::DataEnd => {
                    if let Some(line) = self.take_line(&mut input)? {
                        if !line.is_empty() {
                            return Err(ChunkedError("chunk data longer than its size".into()));
                        }
                        self.phase = Phase::Header;
                    }
                }
                Phase::Trailers => {
                    if let Some(line) = self.take_line(&mut input)? {
                        if line.is_empty() {
                            self.phase = Phase::Done;
                        } else {
                            let (name, value) = line
                                .split_once(':')
                                .ok_or_else(|| ChunkedError(format!("bad trailer {line:?}")))?;
                            self.trailers
                                .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                        }
                    }
                }
                Phase::Done => {
                    if input.iter().all(|b| b.is_ascii_whitespace()) {
                        return Ok(());
                    }
                    return Err(ChunkedError("data after the final chunk".into()));
                }
            }
        }
        Ok(())
    }

    /// Ends the body: it must have reached the final chunk. Returns the trailers (lower-case
    /// names).
    pub fn finish(mut self) -> Result<Trailers, ChunkedError> {
        match self.phase {
            Phase::Done => Ok(self.trailers),
            // Some clients end the body right after the last trailer line.
            Phase::Trailers => {
                let rest = String::from_utf8_lossy(&self.line).trim().to_string();
                if let Some((name, value)) = rest.split_once(':') {
                    self.trailers
                        .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                }
                Ok(self.trailers)
            }
            _ => Err(ChunkedError("the body ended before its final chunk".into())),
        }
    }

    /// Takes one `\r\n`-terminated line (without the terminator) once it is complete.
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<String>, ChunkedError> {
        match input.iter().position(|&b| b == b'\n') {
            Some(pos) => {
                self.line.extend_from_slice(&input.split_to(pos + 1));
                let raw = std::mem::take(&mut self.line);
                let text = std::str::from_utf8(&raw)
                    .map_err(|_| ChunkedError("a chunk header is not text".into()))?;
                Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
            }
            None => {
                self.line.extend_from_slice(input);
                input.clear();
                if self.line.len() > MAX_LINE {
                    return Err(ChunkedError("chunk header line too long".into()));
                }
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &[u8], piece: usize) -> Result<(Vec<u8>, Trailers), ChunkedError> {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        for p in body.chunks(piece) {
            d.feed(Bytes::copy_from_slice(p), &mut out)?;
        }
        let data: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(d.decoded_len(), data.len() as u64);
        Ok((data, d.finish()?))
    }

    #[test]
    fn signed_chunks() {
        let body = b"5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=000\r\n\r\n";
        for piece in [1, 2, 3, 7, 1000] {
            let (data, trailers) = decode_in_pieces(body, piece).unwrap();
            assert_eq!(data, b"hello world");
            assert!(trailers.is_empty());
        }
    }

    #[test]
    fn unsigned_with_trailer() {
        let body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        for piece in [1, 5, 1000] {
            let (data, trailers) = decode_in_pieces(body, piece).unwrap();
            assert_eq!(data, b"hello world");
            assert_eq!(
                trailers,
                vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
            );
        }
        // Without the closing empty line.
        let (_, trailers) = decode_in_pieces(b"0\r\nx-amz-checksum-crc32:AAAA", 100).unwrap();
        assert_eq!(trailers.len(), 1);
    }

    #[test]
    fn broken_bodies() {
        assert!(decode_in_pieces(b"zz\r\nhello\r\n0\r\n\r\n", 100).is_err());
        assert!(decode_in_pieces(b"5\r\nhello", 100).is_err());
        assert!(decode_in_pieces(b"3\r\nhello\r\n0\r\n\r\n", 100).is_err());
        assert!(decode_in_pieces(b"0\r\n\r\nmore", 100).is_err());
        assert!(decode_in_pieces(&vec![b'1'; MAX_LINE + 10], 100).is_err());
    }
}
