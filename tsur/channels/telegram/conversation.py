"""The private bot's conversation: what the problem is, where it is, an optional photo.

A conversation is nothing but the raw updates a resident sent, in order; its state is what those
updates add up to. The same fold runs while listening (to choose the next prompt) and when the
finished conversation is normalised, so the stored raw updates are the whole truth and a restart
loses nothing: the updates of unfinished conversations are kept in the channel's cursor.

Slots are filled in order (text, place, photo) but any message fills what it can: a photo sent
first is kept and the text is still asked for; a caption counts as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tsur.channels.telegram.types import Location, Message, PhotoSize, User, parse_update

TEXT = "text"
PLACE = "place"
PHOTO = "photo"
DONE = "done"


@dataclass
class Conversation:
    chat_id: int
    skip_label: str
    updates: list[dict] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    address: str = ""
    location: Location | None = None
    photos: list[list[PhotoSize]] = field(default_factory=list)
    photo_skipped: bool = False
    media_group_id: str | None = None
    first_message: Message | None = None
    author: User | None = None
    description_message_id: int | None = None
    last_date: int = 0

    @classmethod
    def replay(cls, chat_id: int, updates: list[dict], *, skip_label: str) -> Conversation:
        """Rebuild the state from stored raw updates (ChannelError if one is not an Update)."""
        conversation = cls(chat_id=chat_id, skip_label=skip_label)
        for raw in updates:
            update = parse_update(raw)
            if update.message is not None:
                conversation.feed(raw, update.message)
        return conversation

    @property
    def step(self) -> str:
        if not self.description:
            return TEXT
        if self.location is None and not self.address:
            return PLACE
        if self.photos or self.photo_skipped:
            return DONE
        return PHOTO

    @property
    def text(self) -> str:
        return "\n\n".join(self.description)

    @property
    def reply_message_id(self) -> int | None:
        """The message answers reply to: the resident's description, else the first message."""
        return self.description_message_id or (self.first_message.message_id if self.first_message else None)

    def _is_skip(self, text: str) -> bool:
        return text.casefold() == self.skip_label.strip().casefold()

    def feed(self, raw: dict, message: Message) -> bool:
        """Add one message; True when it filled something, False when it did not fit the step
        (a sticker, an unknown command, "skip" before the photo step) and the prompt is repeated."""
        self.updates.append(raw)
        self.last_date = max(self.last_date, message.date)
        if self.first_message is None:
            self.first_message = message
        if self.author is None and message.from_user is not None:
            self.author = message.from_user
        step = self.step

        if message.photo:
            self.photos.append(list(message.photo))
            self.media_group_id = message.media_group_id
            if message.caption.strip():
                self._add_text(message, message.caption.strip())
            return True
        if message.place is not None:
            self.location = message.place
            if message.venue is not None and not self.address:
                self.address = message.venue.address or message.venue.title
            return True
        text = message.text.strip()
        if not text or message.command:
            return False
        if step == TEXT:
            if self._is_skip(text):
                return False
            self._add_text(message, text)
        elif step == PLACE:
            if self._is_skip(text):
                return False
            self.address = text
        elif step == PHOTO and self._is_skip(text):
            self.photo_skipped = True
        else:
            # More words after the place: they add to the description.
            self._add_text(message, text)
        return True

    def _add_text(self, message: Message, text: str) -> None:
        if not self.description:
            self.description_message_id = message.message_id
        self.description.append(text)

    def belongs_to_album(self, message: Message) -> bool:
        """A later photo of the album whose first photo finished the conversation."""
        return bool(message.photo and message.media_group_id and message.media_group_id == self.media_group_id)
