//! A whole answer's body that runs a piece of work once the connection is
//! done with it: recording a call's end waits until its answer has been
//! handed to the caller, not the other way round.

use axum::body::Bytes;
use http_body::{Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) struct SentBody<F: FnOnce()> {
    bytes: Option<Bytes>,
    then: Option<F>,
}

impl<F: FnOnce()> SentBody<F> {
    /// `bytes`, then `then` once the body is dropped: after its last byte
    /// was written, or when the caller went away before.
    pub(crate) fn new(bytes: Bytes, then: F) -> Self {
        Self {
            bytes: Some(bytes),
            then: Some(then),
        }
    }
}

impl<F: FnOnce() + Unpin> http_body::Body for SentBody<F> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().bytes.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.bytes.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.bytes.as_ref().map_or(0, |b| b.len() as u64))
    }
}

impl<F: FnOnce()> Drop for SentBody<F> {
    fn drop(&mut self) {
        if let Some(then) = self.then.take() {
            then();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SentBody;
    use axum::body::Bytes;
    use http_body::Body;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn gives_its_bytes_with_their_length_then_runs_the_work_when_dropped() {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let mut body = SentBody::new(Bytes::from_static(b"answer"), move || {
            flag.store(true, Ordering::SeqCst);
        });
        assert_eq!(body.size_hint().exact(), Some(6));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let frame = std::pin::Pin::new(&mut body).poll_frame(&mut cx);
        let std::task::Poll::Ready(Some(Ok(frame))) = frame else {
            panic!("no data frame");
        };
        assert_eq!(frame.into_data().ok(), Some(Bytes::from_static(b"answer")));
        assert!(body.is_end_stream());
        assert!(!ran.load(Ordering::SeqCst), "ran before the body was done");
        drop(body);
        assert!(ran.load(Ordering::SeqCst));
    }
}
