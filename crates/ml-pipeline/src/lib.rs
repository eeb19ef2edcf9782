//! `ml-pipeline` (layer 4): rolling feature extraction, model training (ridge, logistic
//! regression, PCA) and zero-allocation prediction, built on the three lower layers.
