//! Recursive Length Prefix (RLP), the serialization of Ethereum transactions: a strict encoder and
//! a strict decoder (canonical form only: no leading zeros in lengths, shortest length form, a
//! single byte below 0x80 as itself, no trailing bytes).

use crate::error::{err, Result};

/// An RLP item: a byte string or a list of items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A byte string (integers are big-endian without leading zeros; zero is empty).
    Bytes(Vec<u8>),
    /// A list of items.
    List(Vec<Item>),
}

impl Item {
    /// A byte string item.
    pub fn bytes(b: &[u8]) -> Item {
        Item::Bytes(b.to_vec())
    }

    /// An integer item: big-endian with leading zeros removed (zero is the empty string).
    pub fn uint(be: &[u8]) -> Item {
        Item::Bytes(strip_leading_zeros(be).to_vec())
    }

    /// A `u64` integer item.
    pub fn u64(n: u64) -> Item {
        Item::uint(&n.to_be_bytes())
    }

    /// The canonical encoding of this item.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the canonical encoding of this item to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Item::Bytes(b) if b.len() == 1 && b[0] < 0x80 => out.push(b[0]),
            Item::Bytes(b) => {
                header(out, 0x80, b.len());
                out.extend_from_slice(b);
            }
            Item::List(items) => {
                let payload: usize = items.iter().map(Item::encoded_len).sum();
                header(out, 0xc0, payload);
                for item in items {
                    item.encode_into(out);
                }
            }
        }
    }

    /// The length of the canonical encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            Item::Bytes(b) if b.len() == 1 && b[0] < 0x80 => 1,
            Item::Bytes(b) => header_len(b.len()) + b.len(),
            Item::List(items) => {
                let payload: usize = items.iter().map(Item::encoded_len).sum();
                header_len(payload) + payload
            }
        }
    }

    /// Decodes exactly one canonical item that spans all of `input`.
    pub fn decode(input: &[u8]) -> Result<Item> {
        let (item, rest) = decode_one(input, 0)?;
        if !rest.is_empty() {
            return Err(err::invalid_transaction(format!(
                "RLP: {} trailing byte(s) after the item",
                rest.len()
            )));
        }
        Ok(item)
    }

    /// The byte string, or an error if this is a list.
    pub fn as_bytes(&self) -> Result<&[u8]> {
        match self {
            Item::Bytes(b) => Ok(b),
            Item::List(_) => Err(err::invalid_transaction(
                "RLP: expected a string, got a list",
            )),
        }
    }

    /// The items of a list, or an error if this is a byte string.
    pub fn as_list(&self) -> Result<&[Item]> {
        match self {
            Item::List(items) => Ok(items),
            Item::Bytes(_) => Err(err::invalid_transaction(
                "RLP: expected a list, got a string",
            )),
        }
    }

    /// The canonical integer bytes (no leading zero), or an error.
    pub fn as_uint(&self) -> Result<&[u8]> {
        let b = self.as_bytes()?;
        if b.first() == Some(&0) {
            return Err(err::invalid_transaction(
                "RLP: an integer has a leading zero byte",
            ));
        }
        Ok(b)
    }

    /// A `u64` integer, or an error if it is not canonical or too large.
    pub fn as_u64(&self) -> Result<u64> {
        let b = self.as_uint()?;
        if b.len() > 8 {
            return Err(err::invalid_transaction(
                "RLP: an integer does not fit 64 bits",
            ));
        }
        Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }
}

/// `be` without its leading zero bytes.
pub fn strip_leading_zeros(be: &[u8]) -> &[u8] {
    let first = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    &be[first..]
}

fn header_len(len: usize) -> usize {
    if len < 56 {
        1
    } else {
        1 + strip_leading_zeros(&len.to_be_bytes()).len()
    }
}

fn header(out: &mut Vec<u8>, offset: u8, len: usize) {
    if len < 56 {
        // len < 56, so the sum stays below 0xf8
        out.push(offset + len as u8);
    } else {
        let be = len.to_be_bytes();
        let len_bytes = strip_leading_zeros(&be);
        // at most 8 length bytes, so the sum stays a byte
        out.push(offset + 55 + len_bytes.len() as u8);
        out.extend_from_slice(len_bytes);
    }
}

/// Nesting deeper than this is refused (transactions nest 3 levels at most).
const MAX_DEPTH: usize = 16;

fn decode_one(input: &[u8], depth: usize) -> Result<(Item, &[u8])> {
    if depth > MAX_DEPTH {
        return Err(err::invalid_transaction("RLP: nesting is too deep"));
    }
    let (&first, rest) = input
        .split_first()
        .ok_or_else(|| err::invalid_transaction("RLP: unexpected end of input"))?;
    match first {
        0x00..=0x7f => Ok((Item::Bytes(vec![first]), rest)),
        0x80..=0xbf => {
            let (len, rest) = length(first, 0x80, rest)?;
            let (payload, rest) = take(rest, len)?;
            if len == 1 && payload[0] < 0x80 {
                return Err(err::invalid_transaction(
                    "RLP: a single byte below 0x80 must encode as itself",
                ));
            }
            Ok((Item::Bytes(payload.to_vec()), rest))
        }
        0xc0..=0xff => {
            let (len, rest) = length(first, 0xc0, rest)?;
            let (mut payload, rest) = take(rest, len)?;
            let mut items = Vec::new();
            while !payload.is_empty() {
                let (item, tail) = decode_one(payload, depth + 1)?;
                items.push(item);
                payload = tail;
            }
            Ok((Item::List(items), rest))
        }
    }
}

/// The payload length from a prefix byte (`offset` is 0x80 for strings, 0xc0 for lists).
fn length(first: u8, offset: u8, rest: &[u8]) -> Result<(usize, &[u8])> {
    let short = first - offset;
    if short < 56 {
        return Ok((usize::from(short), rest));
    }
    let n = usize::from(short - 55);
    let (len_bytes, rest) = take(rest, n)?;
    if len_bytes[0] == 0 {
        return Err(err::invalid_transaction("RLP: a length has a leading zero"));
    }
    if n > std::mem::size_of::<usize>() {
        return Err(err::invalid_transaction("RLP: a length is too large"));
    }
    let len = len_bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if len < 56 {
        return Err(err::invalid_transaction(
            "RLP: a length below 56 must use the short form",
        ));
    }
    Ok((len, rest))
}

fn take(input: &[u8], n: usize) -> Result<(&[u8], &[u8])> {
    if input.len() < n {
        return Err(err::invalid_transaction(format!(
            "RLP: {n} byte(s) announced, {} left",
            input.len()
        )));
    }
    Ok(input.split_at(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        hex::encode(b)
    }

    /// The examples of the Ethereum RLP specification (ethereum.org "Recursive-length prefix").
    #[test]
    fn specification_examples() {
        let s = |t: &str| Item::bytes(t.as_bytes());
        assert_eq!(hex(&s("dog").encode()), "83646f67");
        assert_eq!(
            hex(&Item::List(vec![s("cat"), s("dog")]).encode()),
            "c88363617483646f67"
        );
        assert_eq!(hex(&s("").encode()), "80");
        assert_eq!(hex(&Item::List(vec![]).encode()), "c0");
        assert_eq!(hex(&Item::u64(0).encode()), "80");
        assert_eq!(hex(&Item::bytes(&[0]).encode()), "00");
        assert_eq!(hex(&Item::bytes(&[0x0f]).encode()), "0f");
        assert_eq!(hex(&Item::bytes(&[0x04, 0x00]).encode()), "820400");
        assert_eq!(hex(&Item::u64(1024).encode()), "820400");
        // the set-theoretical representation of three
        let e = || Item::List(vec![]);
        let three = Item::List(vec![
            e(),
            Item::List(vec![e()]),
            Item::List(vec![e(), Item::List(vec![e()])]),
        ]);
        assert_eq!(hex(&three.encode()), "c7c0c1c0c3c0c1c0");
        let lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
        let enc = s(lorem).encode();
        assert_eq!(&enc[..2], &[0xb8, 0x38]);
        assert_eq!(&enc[2..], lorem.as_bytes());
        for item in [s("dog"), three, s(lorem), Item::u64(1024), e()] {
            assert_eq!(Item::decode(&item.encode()).unwrap(), item);
            assert_eq!(item.encode().len(), item.encoded_len());
        }
    }

    #[test]
    fn long_lists_and_strings() {
        let big = Item::bytes(&[0xaa; 1024]);
        let enc = big.encode();
        assert_eq!(&enc[..3], &[0xb9, 0x04, 0x00]);
        let list = Item::List(vec![big.clone(); 70]);
        let enc = list.encode();
        assert_eq!(enc.len(), list.encoded_len());
        assert_eq!(Item::decode(&enc).unwrap(), list);
    }

    #[test]
    fn non_canonical_input_is_refused() {
        for bad in [
            "",           // nothing
            "8100",       // single byte below 0x80 in long form
            "817f",       // same
            "b800",       // long form for a short length
            "b90000",     // leading zero in length
            "83646f",     // truncated
            "83646f6700", // trailing byte
            "c3646f",     // truncated list
            "c28300",     // item runs past the list
            "bf",         // 8 length bytes missing
        ] {
            let bytes = hex::decode(bad).unwrap();
            assert!(Item::decode(&bytes).is_err(), "{bad}");
        }
        // integer accessors
        assert!(Item::bytes(&[0, 1]).as_u64().is_err());
        assert!(Item::bytes(&[1; 9]).as_u64().is_err());
        assert_eq!(Item::bytes(&[1, 0]).as_u64().unwrap(), 256);
        assert_eq!(Item::bytes(&[]).as_u64().unwrap(), 0);
        assert!(Item::List(vec![]).as_bytes().is_err());
        assert!(Item::bytes(&[]).as_list().is_err());
        // nesting beyond MAX_DEPTH is refused (no unbounded recursion on hostile input)
        let mut deep = Item::List(vec![]);
        for _ in 0..MAX_DEPTH {
            deep = Item::List(vec![deep]);
        }
        assert!(Item::decode(&deep.encode()).is_ok());
        assert!(Item::decode(&Item::List(vec![deep]).encode()).is_err());
    }
}
