#!/usr/bin/env python
from tsur.cli import main

if __name__ == "__main__":
    main()
