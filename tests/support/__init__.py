"""What the tests share besides fixtures: fake engines, local stand-ins for remote services
(S3, HTTPS, the Hugging Face hub), the fake vllm package (``fakes/``) and repository paths.

Fixtures that several modules use are defined here and imported by those modules, or
offered to every test by ``tests/conftest.py``.
"""
