DROP TABLE order_search_words;
DROP TRIGGER order_search_delete;
DROP TRIGGER order_search_update;
DROP TRIGGER order_search_insert;
DROP TABLE order_search_paused;
DROP TABLE order_search;
