DROP TABLE order_search_words;
DROP INDEX orders_search;
DROP FUNCTION voelgoed_fold(text);
