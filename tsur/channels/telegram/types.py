"""The parts of Bot API objects the plugin reads (Update, Message, Chat, User, PhotoSize, Location,
Venue), as documented. Unknown fields are allowed and ignored: the API adds fields over time and
the raw update is kept untouched anyway."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tsur.channels.base import ChannelError


class _Object(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class User(_Object):
    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str = ""
    username: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def link(self) -> str:
        return f"https://t.me/{self.username}" if self.username else f"tg://user?id={self.id}"


class Chat(_Object):
    id: int
    type: str  # private / group / supergroup / channel
    title: str = ""
    username: str = ""


class PhotoSize(_Object):
    file_id: str
    file_unique_id: str = ""
    width: int = 0
    height: int = 0
    file_size: int | None = None


class Location(_Object):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Venue(_Object):
    location: Location
    title: str = ""
    address: str = ""


class Message(_Object):
    message_id: int
    date: int
    chat: Chat
    from_user: User | None = Field(default=None, alias="from")
    sender_chat: Chat | None = None
    message_thread_id: int | None = None
    is_topic_message: bool = False
    is_automatic_forward: bool = False
    media_group_id: str | None = None
    text: str = ""
    caption: str = ""
    photo: list[PhotoSize] = Field(default_factory=list)
    location: Location | None = None
    venue: Venue | None = None

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.date, tz=dt.UTC)

    @property
    def body(self) -> str:
        return (self.text or self.caption).strip()

    @property
    def command(self) -> str:
        """'/start' for '/start' or '/start@SomeBot payload'; '' for an ordinary message."""
        if not self.text.startswith("/"):
            return ""
        return self.text.split()[0].split("@")[0].lower()

    @property
    def place(self) -> Location | None:
        return self.venue.location if self.venue else self.location


class Update(_Object):
    update_id: int
    message: Message | None = None


def parse_update(raw: object) -> Update:
    """A raw update as the API sent it -> Update; ChannelError when it is not a documented Update."""
    if not isinstance(raw, dict):
        raise ChannelError("обновление Telegram не является объектом JSON")
    try:
        return Update.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors()[:5])
        raise ChannelError(f"обновление Telegram не по формату Bot API (поля: {fields})") from None


def largest_photo(sizes: list[PhotoSize], max_bytes: int) -> PhotoSize | None:
    """The biggest size of one photo that fits the limit (sizes without file_size count as fitting)."""
    fitting = [s for s in sizes if s.file_size is None or s.file_size <= max_bytes]
    return max(fitting, key=lambda s: (s.width * s.height, s.file_size or 0), default=None)
