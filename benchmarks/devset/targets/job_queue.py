"""Process jobs in arrival order; a job may spawn follow-up jobs."""


def run_jobs(jobs):
    pending = list(jobs)
    done = []
    while len(pending) > 0:
        job = pending.pop(0)
        done.append(job)
        # even jobs spawn one smaller follow-up
        if job > 1 and job % 2 == 0:
            pending.append(job // 2)
    return done
