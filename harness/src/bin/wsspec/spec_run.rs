//! `wsspec run --spec FILE`: Autobahn fuzzingclient/fuzzingserver spec files.
