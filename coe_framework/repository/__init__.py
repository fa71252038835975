"""Repositories and the processes that read them: sources and mirrors, the addresses a server may clone from, the hardened git environment, child process limits and the tree guard."""
