//! How scan-log rows become SSE messages: cut into runs of consecutive rows, none
//! bigger than `MESSAGE_BYTES`. actix-http keeps a connection's write buffer as big as
//! the biggest message it ever wrote (below 128 KB it never shrinks), so one 100-row
//! redraw (~22 KB) would stay with a monitor's connection for its whole life; small
//! messages keep it within the buffer's first page. A phone also draws the first rows
//! before the rest have arrived.

/// The most bytes of rows one message carries (a single bigger row goes alone).
pub const MESSAGE_BYTES: usize = 2_048;

/// `rows` (oldest first) cut into runs of consecutive rows whose sizes add up to at
/// most `MESSAGE_BYTES`, oldest run first.
fn runs<T>(rows: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let row_bytes = size(row);
        if i > start && bytes + row_bytes > MESSAGE_BYTES {
            runs.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += row_bytes;
    }
    if start < rows.len() {
        runs.push(&rows[start..]);
    }
    runs
}

/// `rows` (oldest first) as the bodies of messages of at most `MESSAGE_BYTES`, oldest
/// message first: each its rows newest first (the log inserts a message on top), with
/// its newest row.
pub fn messages<T>(rows: &[T], html: impl Fn(&T) -> &str) -> Vec<(String, &T)> {
    runs(rows, |row| html(row).len())
        .into_iter()
        .filter_map(|run| Some((run.iter().rev().map(&html).collect(), run.last()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_keep_every_row_in_order_and_stay_under_the_bound() {
        let rows: Vec<usize> = (0..100).map(|i| 150 + (i * 37) % 200).collect();
        let cut = runs(&rows, |r| *r);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), rows);
        assert!(cut.iter().all(|run| run.iter().sum::<usize>() <= MESSAGE_BYTES));
    }

    #[test]
    fn a_row_bigger_than_the_bound_goes_alone_and_nothing_is_cut_from_nothing() {
        let rows = [100, MESSAGE_BYTES + 1, 100];
        assert_eq!(runs(&rows, |r| *r), vec![&rows[0..1], &rows[1..2], &rows[2..3]]);
        assert!(runs(&[] as &[usize], |r| *r).is_empty());
    }
}
