"""OK (Одноклассники) channel: listening to group topics and comments, replying in the thread."""
