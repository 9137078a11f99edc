"""Route -> answer, nothing more: who the signed-in person is, for the operators' console
(the identity's attributes as the identity provider gives them)."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cc_runtime import CurrentPrincipal


class Me(BaseModel):
    subject: str = Field(description="The person's one id in every event and report")
    username: str | None
    name: str | None
    roles: list[str] = Field(description="Granted roles with those they imply")
    team: str | None
    skills: list[str]
    languages: list[str]
    seat_limit: int | None = Field(description="Chats the operator takes at once")
    extension: str | None
    pbx_agent_ids: list[str]


def me_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["identity"])

    @router.get("/me", summary="The signed-in person: roles, team, skills, seats, PBX ids")
    async def me(caller: CurrentPrincipal) -> Me:
        return Me(
            subject=caller.subject,
            username=caller.username,
            name=caller.name,
            roles=sorted(caller.roles),
            team=caller.team,
            skills=list(caller.skills),
            languages=list(caller.languages),
            seat_limit=caller.seat_limit,
            extension=caller.extension,
            pbx_agent_ids=list(caller.pbx_agent_ids),
        )

    return router
