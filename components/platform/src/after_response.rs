//! Work an endpoint leaves for after its response has gone out
//! ([`crate::Ctx::after_response`]), so a caller is not kept waiting for
//! something it will poll for anyway. Spin runs a component's handler to its
//! end, so the work finishes even though the client already has its answer.
//! Each request has a fresh instance, so a thread-local queue is per request.

use std::cell::RefCell;

use spin_sdk::http::{OutgoingResponse, Response, ResponseOutparam};

type Job = Box<dyn FnOnce()>;

thread_local! {
    static JOBS: RefCell<Vec<Job>> = RefCell::new(Vec::new());
}

pub(crate) fn push(job: Job) {
    JOBS.with(|jobs| jobs.borrow_mut().push(job));
}

/// Sends `response`, then runs the work queued during the request, in order.
/// Called by [`crate::export_http!`]'s entry point.
pub async fn respond_then_run_queued(out: ResponseOutparam, mut response: Response) {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(outgoing) => {
            if let Err(e) = out.set_with_body(outgoing, body).await {
                eprintln!("could not send the response: {e}");
            }
        }
        Err(e) => eprintln!("could not convert the response: {e}"),
    }
    let jobs = JOBS.with(|jobs| std::mem::take(&mut *jobs.borrow_mut()));
    for job in jobs {
        job();
    }
}
