"""The central views (tabs): the sample grid and the lambda sweep, on a shared crisp image grid."""
