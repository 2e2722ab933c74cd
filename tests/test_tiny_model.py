def test_tiny_model_loads_and_encodes(tiny_model_dir):
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    emb = model.encode(["Where is the red house?", "红房子在哪里？"])
    assert emb.shape == (2, 32)
    assert abs(float((emb[0] ** 2).sum()) - 1.0) < 1e-4
