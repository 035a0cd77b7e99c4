"""Finishing a stepped-up sign-in: the login challenge's answer (an authenticator
code, a passkey, or the emailed code) in, a session token out.

Its own unit of work, as signing in has: a wrong answer is committed before it is
refused, so that it counts towards the challenge's and the factor's limits, and
the risk engine hears of it (a takeover that knows the password but not the
factor fails here again and again). A right answer makes the client known for the
account: to the risk engine (its next sign-in from there is not challenged for
the same reasons again) and to the sign-in limiter (failures from elsewhere do not
lock it out), as a sign-in with the password alone does."""

from __future__ import annotations

from liveshop.accounts import login_challenges
from liveshop.accounts.login_challenges import Answer, ChallengeAnswer
from liveshop.accounts.models import User
from liveshop.accounts.service import issue_token
from liveshop.accounts.sign_in import SecondFactorLocked, WrongSecondFactor, login_request
from liveshop.accounts.sign_in_guard import SignInGuard
from liveshop.accounts.webauthn_challenges import RelyingParty
from liveshop.core.db import unit_of_work
from liveshop.core.risk import record_risk_outcome, record_risk_step_up


def finish_login(
    database_url: str,
    *,
    token: str,
    answer: ChallengeAnswer,
    secret_key: str,
    rp: RelyingParty,
    guard: SignInGuard | None = None,
    address: str = "",
) -> tuple[User, str]:
    """The user and a new session token (committed); LoginChallengeInvalid when the
    challenge expired or was used, WrongSecondFactor for a wrong answer,
    SecondFactorLocked when the factor or the challenge is locked. With ``guard``,
    the client ``address`` is marked known for the account there."""
    with unit_of_work(database_url) as session:
        user, result = login_challenges.check_answer(
            session, token=token, answer=answer, secret_key=secret_key, rp=rp
        )
        session_token = issue_token(session, user=user) if result is Answer.ACCEPTED else ""
    if result is Answer.ACCEPTED:
        record_risk_step_up(login_request(user.id, user))
        if guard is not None:
            guard.mark_known(username=user.username, address=address)
        return user, session_token
    record_risk_outcome(login_request(user.id, user), succeeded=False)
    if result is Answer.LOCKED:
        raise SecondFactorLocked(
            "too many wrong answers: this sign-in is locked, enter your password again later"
        )
    raise WrongSecondFactor("wrong code" if answer.code else "the passkey was not accepted")
