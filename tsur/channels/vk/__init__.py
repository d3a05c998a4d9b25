"""VK (ВКонтакте) channel: listening to public posts and comments, replying in the thread."""
