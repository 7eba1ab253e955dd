//! What crosses a pipe between the parent and a worker: serialized values
//! and length-prefixed frames.
//!
//! Values are encoded with `bincode` (v1, default options): it carries every
//! serde data type faithfully (a NaN stays a NaN, a map keeps non-string
//! keys, bytes stay bytes), where JSON would change some values silently;
//! and it is several times faster and smaller, which matters when a pool
//! moves tens of thousands of small tasks per second. A value that cannot be
//! encoded is an error at the call, before anything is sent.
//!
//! Frames (all integers little-endian):
//!
//! | frame   | layout                                                       |
//! | ------- | ------------------------------------------------------------ |
//! | request | `u32 len`, `u64 id`, `u8 chunk`, `u16 name_len`, name, arg   |
//! | reply   | `u32 len`, `u64 id`, `u8 tag`, payload                       |
//!
//! `len` counts the bytes after itself. Reply tags: [`OK`] (payload = the
//! encoded result), [`PANIC`] (payload = the panic message, UTF-8),
//! [`ERROR`] (payload = why the child could not run the task, UTF-8).
//! A request with `chunk == 1` carries an encoded `Vec` of arguments and is
//! answered with an encoded `Vec<Result<R, String>>` (one entry per
//! argument, a panic message for an item that panicked). The end of the
//! request stream (EOF) tells a worker to exit.

use std::io::{self, Read};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::ProcessError;

/// The id of the reply a worker sends once, at start-up, before any
/// request: "the worker loop runs". A child that ends without it never ran
/// `init` (or died before), which is a start-up failure, not a task's.
pub(crate) const READY_ID: u64 = u64::MAX;

/// Reply tag: the task returned; the payload is its encoded result.
pub(crate) const OK: u8 = 0;
/// Reply tag: the task panicked; the payload is the message.
pub(crate) const PANIC: u8 = 1;
/// Reply tag: the child could not run the task; the payload says why.
pub(crate) const ERROR: u8 = 2;

/// Encodes a value for the other side.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ProcessError> {
    bincode::serialize(value).map_err(|e| ProcessError::Serialize(e.to_string()))
}

/// Decodes a value the other side encoded.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ProcessError> {
    bincode::deserialize(bytes).map_err(|e| ProcessError::Serialize(e.to_string()))
}

fn too_big() -> ProcessError {
    ProcessError::Serialize("a frame is limited to 4 GiB".into())
}

/// Appends one request frame to `out`.
pub(crate) fn put_request(
    out: &mut Vec<u8>,
    id: u64,
    chunk: bool,
    name: &str,
    arg: &[u8],
) -> Result<(), ProcessError> {
    let name_len = u16::try_from(name.len())
        .map_err(|_| ProcessError::InvalidArgument("function name longer than 64 KiB".into()))?;
    let len = u32::try_from(8 + 1 + 2 + name.len() + arg.len()).map_err(|_| too_big())?;
    out.reserve(4 + len as usize);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&id.to_le_bytes());
    out.push(u8::from(chunk));
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(arg);
    Ok(())
}

/// Appends one reply frame to `out` (payloads over 4 GiB become an error
/// reply, so the parent always gets an answer).
pub(crate) fn put_reply(out: &mut Vec<u8>, id: u64, tag: u8, payload: &[u8]) {
    let Ok(len) = u32::try_from(8 + 1 + payload.len()) else {
        let msg = too_big().to_string();
        return put_reply(out, id, ERROR, msg.as_bytes());
    };
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&id.to_le_bytes());
    out.push(tag);
    out.extend_from_slice(payload);
}

/// Reads one frame body into `buf` (cleared first). `Ok(false)` at a clean
/// end of stream (EOF before the first byte of a frame).
pub(crate) fn read_frame(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_le_bytes(len) as usize;
    buf.clear();
    buf.resize(len, 0);
    r.read_exact(buf)?;
    Ok(true)
}

/// A decoded request (borrowing the frame).
pub(crate) struct Request<'a> {
    pub(crate) id: u64,
    pub(crate) chunk: bool,
    pub(crate) name: &'a str,
    pub(crate) arg: &'a [u8],
}

/// Splits a request frame body.
pub(crate) fn parse_request(body: &[u8]) -> Option<Request<'_>> {
    let id = u64::from_le_bytes(body.get(..8)?.try_into().ok()?);
    let chunk = *body.get(8)? != 0;
    let name_len = u16::from_le_bytes(body.get(9..11)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(body.get(11..11 + name_len)?).ok()?;
    let arg = body.get(11 + name_len..)?;
    Some(Request {
        id,
        chunk,
        name,
        arg,
    })
}

/// A decoded reply (borrowing the frame).
pub(crate) struct Reply<'a> {
    pub(crate) id: u64,
    pub(crate) tag: u8,
    pub(crate) payload: &'a [u8],
}

/// Splits a reply frame body.
pub(crate) fn parse_reply(body: &[u8]) -> Option<Reply<'_>> {
    let id = u64::from_le_bytes(body.get(..8)?.try_into().ok()?);
    let tag = *body.get(8)?;
    Some(Reply {
        id,
        tag,
        payload: &body[9..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip() {
        let mut out = Vec::new();
        put_request(&mut out, 7, true, "a::b", &[1, 2, 3]).unwrap();
        let mut buf = Vec::new();
        assert!(read_frame(&mut &out[..], &mut buf).unwrap());
        let r = parse_request(&buf).unwrap();
        assert_eq!((r.id, r.chunk, r.name), (7, true, "a::b"));
        assert_eq!(r.arg, &[1u8, 2, 3][..]);
    }

    #[test]
    fn reply_round_trip_and_eof() {
        let mut out = Vec::new();
        put_reply(&mut out, 9, PANIC, b"boom");
        let mut rd = &out[..];
        let mut buf = Vec::new();
        assert!(read_frame(&mut rd, &mut buf).unwrap());
        let r = parse_reply(&buf).unwrap();
        assert_eq!((r.id, r.tag, r.payload), (9, PANIC, &b"boom"[..]));
        assert!(!read_frame(&mut rd, &mut buf).unwrap());
    }

    #[test]
    fn nan_survives() {
        let v: f64 = decode(&encode(&f64::NAN).unwrap()).unwrap();
        assert!(v.is_nan());
    }
}
