//! Category 12, WebSocket Compression (different payloads): Autobahn's permessage-deflate
//! throughput cases. Each case sends 1000 compressed messages one after another, each the
//! next slice of one of five payload files, and compares every echo; all of them must come
//! back before the deadline. Judged by time, like category 9.

use super::common::deflate_opening;
use super::CaseBuilder;
use crate::compression::{Compression, Corpus, DeflateAccept};
use crate::model::{Case, Expected, ExpectedClose, Step};

/// The offer Autobahn's client sends by default: it lets the server ask for client context
/// reset and a smaller client window, and asks nothing of the server.
pub(crate) const DEFAULT_OFFER: &str =
    "permessage-deflate; client_no_context_takeover; client_max_window_bits";

/// One row of Autobahn's message-size table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Size {
    /// Units (characters or octets) per message.
    pub(crate) len: usize,
    /// Seconds allowed for all round trips.
    pub(crate) secs: u64,
    /// Auto-fragmentation of the compressed payload, 0 for one frame.
    pub(crate) fragment: usize,
}

const fn size(len: usize, secs: u64, fragment: usize) -> Size {
    Size {
        len,
        secs,
        fragment,
    }
}

/// Messages per case.
pub(crate) const COUNT: u32 = 1000;

/// The 18 cases of every subcategory of 12 and 13, in Autobahn's order.
pub(crate) const SIZES: [Size; 18] = [
    size(16, 60, 0),
    size(64, 60, 0),
    size(256, 120, 0),
    size(1024, 240, 0),
    size(4096, 480, 0),
    size(8192, 480, 0),
    size(16384, 480, 0),
    size(32768, 480, 0),
    size(65536, 480, 0),
    size(131_072, 480, 0),
    size(8192, 480, 256),
    size(16384, 480, 256),
    size(32768, 480, 256),
    size(65536, 480, 256),
    size(131_072, 480, 256),
    size(131_072, 480, 1024),
    size(131_072, 480, 4096),
    size(131_072, 480, 32768),
];

/// Autobahn's subcategory title for a payload file: description, kind and size.
pub(crate) fn corpus_title(corpus: Corpus) -> String {
    format!(
        "{} ({}, {} bytes)",
        corpus.description(),
        if corpus.is_binary() { "binary" } else { "utf8" },
        corpus.bytes().len()
    )
}

/// Autobahn's expectation text for a deadline.
pub(crate) fn expectation(size: Size) -> String {
    format!(
        "Receive echo'ed messages (with payload as sent). Timeout case after {} secs.",
        size.secs
    )
}

/// Autobahn's description text up to the offer part.
pub(crate) fn description_head(size: Size) -> String {
    format!(
        "Send {COUNT} compressed messages each of payload size {}, auto-fragment to {} octets.",
        size.len, size.fragment
    )
}

/// One echo case of categories 12 and 13.
pub(crate) struct EchoCase<'a> {
    pub(crate) id: String,
    pub(crate) sub: (String, String),
    pub(crate) description: String,
    pub(crate) corpus: Corpus,
    pub(crate) size: Size,
    pub(crate) offer: &'a str,
    pub(crate) accepts: &'a [DeflateAccept],
}

impl EchoCase<'_> {
    pub(crate) fn build(self) -> Case {
        let size = self.size;
        CaseBuilder::new(&self.id, &self.description, &expectation(size))
            .sub(&self.sub.0, &self.sub.1)
            .spec("RFC 7692")
            .opening(deflate_opening(self.offer))
            .compression(Compression::required(self.accepts))
            .steps(vec![Step::CompressedEchoes {
                corpus: self.corpus,
                len: size.len,
                count: COUNT,
                fragment_size: size.fragment,
                within_ms: size.secs * 1000,
            }])
            .expect(Expected::none())
            .close(ExpectedClose::normal())
            .report_time()
            .build()
    }
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (j, corpus) in Corpus::ALL.into_iter().enumerate() {
        let sub = format!("12.{}", j + 1);
        for (i, size) in SIZES.into_iter().enumerate() {
            out.push(
                EchoCase {
                    id: format!("{sub}.{}", i + 1),
                    sub: (sub.clone(), corpus_title(corpus)),
                    description: format!(
                        "{} Use default permessage-deflate offer.",
                        description_head(size)
                    ),
                    corpus,
                    size,
                    offer: DEFAULT_OFFER,
                    accepts: &[DeflateAccept::default()],
                }
                .build(),
            );
        }
    }
    out
}
