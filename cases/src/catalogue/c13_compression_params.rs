//! Category 13, WebSocket Compression (different parameters): the echo cases of category 12
//! on the JSON file, under seven pairs of client offers and server answers. A pair is written
//! as Autobahn writes it, a list of (requestNoContextTakeover, requestMaxWindowBits): in an
//! offer these ask the server for `server_no_context_takeover` and `server_max_window_bits`;
//! in a server-mode answer they ask the client for `client_no_context_takeover` and
//! `client_max_window_bits` (0: not asked).

use super::c12_compression::{corpus_title, description_head, EchoCase, DEFAULT_OFFER, SIZES};
use crate::compression::{Corpus, DeflateAccept};
use crate::model::Case;

/// (no context takeover, max window bits): one offer, or one answer.
type Params = (bool, u8);

/// Client offers and server answers of 13.1 to 13.7, each list in preference order.
const PAIRS: [(&[Params], &[Params]); 7] = [
    (&[(false, 0)], &[(false, 0)]),
    (&[(true, 0)], &[(true, 0)]),
    (&[(false, 9)], &[(false, 9)]),
    (&[(false, 15)], &[(false, 15)]),
    (&[(true, 9)], &[(true, 9)]),
    (&[(true, 15)], &[(true, 15)]),
    (
        &[(true, 9), (true, 0), (false, 0)],
        &[(true, 9), (true, 0), (false, 0)],
    ),
];

/// A list of pairs as Python prints it: `[(True, 9), (False, 0)]`.
fn python_list(params: &[Params]) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|(reset, bits)| {
            let reset = if *reset { "True" } else { "False" };
            format!("({reset}, {bits})")
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The header value for the offers: the default offer plus what each asks of the server.
pub(crate) fn offer_header(offers: &[Params]) -> String {
    let elements: Vec<String> = offers
        .iter()
        .map(|(reset, bits)| {
            let mut e = DEFAULT_OFFER.to_string();
            if *reset {
                e.push_str("; server_no_context_takeover");
            }
            if *bits > 0 {
                e.push_str(&format!("; server_max_window_bits={bits}"));
            }
            e
        })
        .collect();
    elements.join(", ")
}

/// The server-mode answers: what each asks of the client.
fn answers(params: &[Params]) -> Vec<DeflateAccept> {
    params
        .iter()
        .map(|(reset, bits)| DeflateAccept {
            client_no_context_takeover: *reset,
            client_max_window_bits: (*bits > 0).then_some(*bits),
        })
        .collect()
}

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    let corpus = Corpus::Json;
    let mut out = Vec::new();
    for (j, (offers, accepts)) in PAIRS.into_iter().enumerate() {
        let sub = format!("13.{}", j + 1);
        let offered = format!(
            "client offers (requestNoContextTakeover, requestMaxWindowBits): {}",
            python_list(offers)
        );
        let title = format!(
            "{} - {offered} / server accept (requestNoContextTakeover, requestMaxWindowBits): {}",
            corpus_title(corpus),
            python_list(accepts)
        );
        let offer = offer_header(offers);
        let accepts = answers(accepts);
        for (i, size) in SIZES.into_iter().enumerate() {
            out.push(
                EchoCase {
                    id: format!("{sub}.{}", i + 1),
                    sub: (sub.clone(), title.clone()),
                    description: format!(
                        "{} Use permessage-deflate {offered}",
                        description_head(size)
                    ),
                    corpus,
                    size,
                    offer: &offer,
                    accepts: &accepts,
                }
                .build(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_are_written_as_autobahn_writes_them() {
        assert_eq!(
            offer_header(&[(true, 9), (false, 0)]),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
             server_no_context_takeover; server_max_window_bits=9, permessage-deflate; \
             client_no_context_takeover; client_max_window_bits"
        );
        assert_eq!(
            python_list(&[(true, 9), (false, 0)]),
            "[(True, 9), (False, 0)]"
        );
        assert_eq!(
            answers(&[(false, 15), (true, 0)]),
            vec![
                DeflateAccept {
                    client_no_context_takeover: false,
                    client_max_window_bits: Some(15),
                },
                DeflateAccept {
                    client_no_context_takeover: true,
                    client_max_window_bits: None,
                },
            ]
        );
    }
}
