from fastapi import APIRouter

from callcenter.email_policy import default_policy
from lambdas.api.schemas import EmailCheck, EmailCheckResult

router = APIRouter(prefix="/v1/email-policy", tags=["sign-up"])


@router.post("/check", response_model=EmailCheckResult)
async def check_email(body: EmailCheck) -> EmailCheckResult:
    """Instant feedback for the sign-up form. Supabase Auth enforces the same policy through its hook."""
    verdict = default_policy().check(body.email)
    return EmailCheckResult(
        allowed=verdict.allowed,
        email=verdict.email,
        reason=verdict.message,
        code=str(verdict.refusal) if verdict.refusal else None,
    )
