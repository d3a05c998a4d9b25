"""The points-of-tension detector, pure Python (numpy/scipy, no Django): the platform
(tsur.tension.services) and `tsur tension detect` run the same code."""
